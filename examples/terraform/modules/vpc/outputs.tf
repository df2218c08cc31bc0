output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "subnet_ids" {
  description = "IDs of the private subnets, in the order of var.azs."
  value       = aws_subnet.private[*].id
}

output "subnet_cidr_blocks" {
  description = "CIDR blocks of the private subnets, in the order of var.azs."
  value       = aws_subnet.private[*].cidr_block
}
