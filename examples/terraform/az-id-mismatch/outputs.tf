output "provider_availability_zone_ids" {
  description = "AZ name -> AZ ID in the provider account."
  value       = zipmap(data.aws_availability_zones.provider.names, data.aws_availability_zones.provider.zone_ids)
}

output "consumer_availability_zone_ids" {
  description = "AZ name -> AZ ID in the consumer account."
  value       = zipmap(data.aws_availability_zones.consumer.names, data.aws_availability_zones.consumer.zone_ids)
}

output "endpoint_service_name" {
  description = "Service name the consumer's endpoint connects to."
  value       = aws_vpc_endpoint_service.provider.service_name
}

output "url" {
  description = "What the client curls."
  value       = "http://${aws_route53_record.provider_nlb.name}.${aws_route53_zone.private.name}/"
}
