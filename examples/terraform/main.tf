# The experiment sim started from: two VPCs with the same CIDR joined by PrivateLink, an internal
# NLB over three subnets in three AZs, one web server per subnet, and an interface endpoint with
# a single ENI in consumer subnet 1. Cross-zone load balancing off (the NLB default): only the
# Subnet 1 server answers the client's curls; on: all three answer.

provider "aws" {
  region = var.region
}

# This account's AZ name -> AZ ID map (see the availability_zone_ids output): PrivateLink pairs an
# endpoint ENI with the NLB node in the same AZ ID, not the same AZ name.
data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  web_port     = 80
  private_zone = "example.local"
}

module "provider_vpc" {
  source = "./modules/vpc"

  name = "provider"
  cidr = var.vpc_cidr
  azs  = var.azs
}

module "consumer_vpc" {
  source = "./modules/vpc"

  name = "consumer"
  cidr = var.vpc_cidr
  azs  = var.azs
}

# ---- Provider side: web servers behind an internal NLB, published as an endpoint service ------

resource "aws_security_group" "web" {
  name        = "web-sg"
  description = "HTTP from inside the provider VPC (the NLB nodes' addresses)"
  vpc_id      = module.provider_vpc.vpc_id

  ingress {
    description = "HTTP from the NLB nodes"
    from_port   = local.web_port
    to_port     = local.web_port
    protocol    = "tcp"
    cidr_blocks = [module.provider_vpc.cidr]
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
  count = length(var.azs)

  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = module.provider_vpc.subnet_ids[count.index]
  vpc_security_group_ids = [aws_security_group.web.id]

  user_data                   = <<-EOF
    #!/bin/bash
    mkdir -p /var/www/html
    echo "Hello from Provider VPC on Subnet ${count.index + 1}" > /var/www/html/index.html
    cd /var/www/html
    nohup python3 -m http.server 80 > /var/log/web.log 2>&1 &
  EOF
  user_data_replace_on_change = true

  tags = {
    Name = "web-${count.index + 1}"
  }
}

resource "aws_lb" "provider" {
  name               = "provider-nlb"
  internal           = true
  load_balancer_type = "network"
  subnets            = module.provider_vpc.subnet_ids

  # The NLB default, written out: what it does is the question.
  enable_cross_zone_load_balancing = false

  tags = {
    Name = "provider-nlb"
  }
}

resource "aws_lb_target_group" "web" {
  name        = "web"
  port        = local.web_port
  protocol    = "TCP"
  vpc_id      = module.provider_vpc.vpc_id
  target_type = "instance"

  health_check {
    protocol            = "TCP"
    port                = "traffic-port"
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
  count = length(aws_instance.web)

  target_group_arn = aws_lb_target_group.web.arn
  target_id        = aws_instance.web[count.index].id
  port             = local.web_port
}

resource "aws_vpc_endpoint_service" "provider" {
  acceptance_required        = false
  network_load_balancer_arns = [aws_lb.provider.arn]

  tags = {
    Name = "provider-svc"
  }
}

# ---- Consumer side: one interface endpoint ENI, a private zone, a client ---------------------

resource "aws_security_group" "endpoint" {
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
  vpc_id            = module.consumer_vpc.vpc_id
  service_name      = aws_vpc_endpoint_service.provider.service_name
  vpc_endpoint_type = "Interface"

  # One ENI only, in consumer subnet 1 (us-east-1a): the point of the experiment.
  subnet_ids          = [module.consumer_vpc.subnet_ids[0]]
  security_group_ids  = [aws_security_group.endpoint.id]
  private_dns_enabled = false

  tags = {
    Name = "provider-endpoint"
  }
}

resource "aws_route53_zone" "private" {
  name = local.private_zone

  vpc {
    vpc_id = module.consumer_vpc.vpc_id
  }

  tags = {
    Name = local.private_zone
  }
}

resource "aws_route53_record" "provider_nlb" {
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
  ami           = var.ami_id
  instance_type = var.instance_type
  subnet_id     = module.consumer_vpc.subnet_ids[0]

  tags = {
    Name = "consumer-client"
  }
}
