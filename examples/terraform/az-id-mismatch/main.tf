# Exam-style: the experiment of ../crosszone, but provider and consumer are different accounts.
# The consumer puts its only endpoint ENI in its "us-east-1a", the AZ name of the provider's
# subnet 1. With cross-zone load balancing off, which server answers? PrivateLink matches AZs by
# AZ ID: the consumer's us-east-1a is use1-az2, the zone of the provider's subnet 2.

locals {
  web_port     = 80
  private_zone = "example.local"
}

module "provider_vpc" {
  source = "./modules/vpc"
  providers = {
    aws = aws.provider
  }

  name = "provider"
  cidr = var.vpc_cidr
  azs  = var.azs
}

module "consumer_vpc" {
  source = "./modules/vpc"
  providers = {
    aws = aws.consumer
  }

  name = "consumer"
  cidr = var.vpc_cidr
  azs  = var.azs
}

# ---- Provider account ---------------------------------------------------------------------------

resource "aws_security_group" "web" {
  provider = aws.provider

  name        = "web-sg"
  description = "HTTP from inside the provider VPC (the NLB nodes' addresses)"
  vpc_id      = module.provider_vpc.vpc_id

  ingress {
    description = "HTTP from the NLB nodes"
    from_port   = local.web_port
    to_port     = local.web_port
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  egress {
    description = "All outbound"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = "web-sg"
  }
}

resource "aws_instance" "web" {
  provider = aws.provider
  count    = length(var.azs)

  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = module.provider_vpc.subnet_ids[count.index]
  vpc_security_group_ids = [aws_security_group.web.id]

  user_data_base64 = base64encode(<<-EOT
    #!/bin/bash
    mkdir -p /var/www/html
    echo "Hello from Provider VPC on Subnet ${count.index + 1}" > /var/www/html/index.html
    python3 -m http.server 80 --directory /var/www/html &
  EOT
  )

  tags = {
    Name = "web-${count.index + 1}"
  }
}

resource "aws_lb" "provider" {
  provider = aws.provider

  name               = "provider-nlb"
  internal           = true
  load_balancer_type = "network"
  subnets            = module.provider_vpc.subnet_ids

  enable_cross_zone_load_balancing = false

  tags = {
    Name = "provider-nlb"
  }
}

resource "aws_lb_target_group" "web" {
  provider = aws.provider

  name     = "web"
  port     = local.web_port
  protocol = "TCP"
  vpc_id   = module.provider_vpc.vpc_id

  health_check {
    protocol            = "TCP"
    interval            = 30
    timeout             = 10
    healthy_threshold   = 3
    unhealthy_threshold = 3
  }

  tags = {
    Name = "web"
  }
}

resource "aws_lb_listener" "tcp" {
  provider = aws.provider

  load_balancer_arn = aws_lb.provider.arn
  port              = local.web_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }

  tags = {
    Name = "provider-nlb-tcp-80"
  }
}

resource "aws_lb_target_group_attachment" "web" {
  provider = aws.provider
  count    = length(aws_instance.web)

  target_group_arn = aws_lb_target_group.web.arn
  target_id        = aws_instance.web[count.index].id
  port             = local.web_port
}

resource "aws_vpc_endpoint_service" "provider" {
  provider = aws.provider

  acceptance_required        = false
  allowed_principals         = ["arn:aws:iam::${var.consumer_account_id}:root"]
  network_load_balancer_arns = [aws_lb.provider.arn]

  tags = {
    Name = "provider-svc"
  }
}

# ---- Consumer account ---------------------------------------------------------------------------

resource "aws_security_group" "endpoint" {
  provider = aws.consumer

  name        = "endpoint-sg"
  description = "HTTP from the consumer private subnets"
  vpc_id      = module.consumer_vpc.vpc_id

  ingress {
    description = "HTTP from the consumer private subnets"
    from_port   = local.web_port
    to_port     = local.web_port
    protocol    = "tcp"
    cidr_blocks = module.consumer_vpc.subnet_cidr_blocks
  }

  egress {
    description = "All outbound"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = "endpoint-sg"
  }
}

resource "aws_vpc_endpoint" "provider" {
  provider = aws.consumer

  vpc_id            = module.consumer_vpc.vpc_id
  service_name      = aws_vpc_endpoint_service.provider.service_name
  vpc_endpoint_type = "Interface"

  # One ENI only, in the consumer's us-east-1a: use1-az2 in this account.
  subnet_ids          = [module.consumer_vpc.subnet_ids[0]]
  security_group_ids  = [aws_security_group.endpoint.id]
  private_dns_enabled = false

  tags = {
    Name = "provider-endpoint"
  }
}

resource "aws_route53_zone" "private" {
  provider = aws.consumer

  name = local.private_zone

  vpc {
    vpc_id = module.consumer_vpc.vpc_id
  }

  tags = {
    Name = local.private_zone
  }
}

resource "aws_route53_record" "provider_nlb" {
  provider = aws.consumer

  zone_id = aws_route53_zone.private.zone_id
  name    = "provider-nlb"
  type    = "A"

  alias {
    name                   = aws_vpc_endpoint.provider.dns_entry[0].dns_name
    zone_id                = aws_vpc_endpoint.provider.dns_entry[0].hosted_zone_id
    evaluate_target_health = false
  }
}

resource "aws_instance" "client" {
  provider = aws.consumer

  ami           = var.ami_id
  instance_type = var.instance_type
  subnet_id     = module.consumer_vpc.subnet_ids[0]

  tags = {
    Name = "consumer-client"
  }
}
