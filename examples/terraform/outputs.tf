output "availability_zone_ids" {
  description = "AZ name -> AZ ID in this account."
  value       = zipmap(data.aws_availability_zones.available.names, data.aws_availability_zones.available.zone_ids)
}

output "nlb_dns_name" {
  description = "The NLB's own regional DNS name (resolvable only inside the provider VPC)."
  value       = aws_lb.provider.dns_name
}

output "endpoint_service_name" {
  description = "Service name the consumer's endpoint connects to."
  value       = aws_vpc_endpoint_service.provider.service_name
}

output "endpoint_dns_names" {
  description = "The endpoint's DNS names: the regional one first, then one per ENI."
  value       = aws_vpc_endpoint.provider.dns_entry[*].dns_name
}

output "url" {
  description = "What the client curls."
  value       = "http://${aws_route53_record.provider_nlb.name}.${aws_route53_zone.private.name}/"
}
