variable "region" {
  description = "Region of both VPCs."
  type        = string
  default     = "us-east-1"
}

variable "vpc_cidr" {
  description = "CIDR block of both VPCs: the same on purpose (peering is impossible, PrivateLink works)."
  type        = string
  default     = "10.11.0.0/24"
}

variable "azs" {
  description = "AZ names, one private subnet in each VPC per AZ."
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
