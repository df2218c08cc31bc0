variable "name" {
  description = "Name tag of the VPC; subnets are NAME-1, NAME-2, ..."
  type        = string
}

variable "cidr" {
  description = "CIDR block of the VPC; each subnet gets a quarter of it."
  type        = string
}

variable "azs" {
  description = "AZ names, one private subnet in each (at most four)."
  type        = list(string)
}
