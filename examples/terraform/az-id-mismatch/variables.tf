variable "provider_role_arn" {
  description = "Role Terraform assumes in the provider account."
  type        = string
  default     = "arn:aws:iam::111111111111:role/terraform"
}

variable "consumer_role_arn" {
  description = "Role Terraform assumes in the consumer account."
  type        = string
  default     = "arn:aws:iam::222222222222:role/terraform"
}

variable "consumer_account_id" {
  description = "The consumer account, allowed to connect to the endpoint service."
  type        = string
  default     = "222222222222"
}

variable "vpc_cidr" {
  description = "CIDR block of both VPCs: the same on purpose (peering is impossible, PrivateLink works)."
  type        = string
  default     = "10.11.0.0/24"
}

variable "azs" {
  description = "AZ names, one private subnet in each VPC per AZ (the same names in both accounts)."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

variable "ami_id" {
  description = "Amazon Linux 2023 (x86_64) in us-east-1: python3 is preinstalled."
  type        = string
  default     = "ami-0453ec754f44f9a4a"
}

variable "instance_type" {
  description = "Instance type of the web servers and the client."
  type        = string
  default     = "t3.micro"
}
