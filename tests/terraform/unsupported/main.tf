# A fixture for sim import: a valid configuration in which most resources are of types sim does
# not model (an S3 bucket, an IAM role, a log group, and a load balancer of type "application").
# Importing it must keep the VPC, the subnets and the security group, and list the rest.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

locals {
  public_subnets = {
    a = { az = "us-east-1a", cidr = "10.20.1.0/24" }
    b = { az = "us-east-1b", cidr = "10.20.2.0/24" }
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"

  tags = {
    Name = "main"
  }
}

resource "aws_subnet" "app" {
  for_each = local.public_subnets

  vpc_id            = aws_vpc.main.id
  availability_zone = each.value.az
  cidr_block        = each.value.cidr

  tags = {
    Name = "app-${each.key}"
  }
}

resource "aws_security_group" "alb" {
  name        = "alb-sg"
  description = "HTTP from the VPC"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }

  tags = {
    Name = "alb-sg"
  }
}

resource "aws_lb" "app" {
  name               = "app-alb"
  internal           = true
  load_balancer_type = "application"
  security_groups    = [aws_security_group.alb.id]
  subnets            = [aws_subnet.app["a"].id, aws_subnet.app["b"].id]

  tags = {
    Name = "app-alb"
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "sim-import-fixture-logs"

  tags = {
    Name = "logs"
  }
}

resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })

  tags = {
    Name = "app"
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/app/web"
  retention_in_days = 14

  tags = {
    Name = "app"
  }
}
