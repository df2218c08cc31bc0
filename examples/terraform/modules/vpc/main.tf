# A VPC with one private subnet per AZ, each a quarter of the VPC's block. No internet gateway,
# no NAT: everything in this lab stays inside AWS.

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "private" {
  count = length(var.azs)

  vpc_id            = aws_vpc.this.id
  availability_zone = var.azs[count.index]
  cidr_block        = cidrsubnet(var.cidr, 2, count.index)

  tags = {
    Name = "${var.name}-${count.index + 1}"
  }
}
