# Two AWS accounts: the provider's (the NLB and its endpoint service) and the consumer's (the
# interface endpoint, the private zone, the client). AZ names are per account: the consumer's
# us-east-1a is another physical zone (AZ ID) than the provider's us-east-1a.

provider "aws" {
  alias  = "provider"
  region = "us-east-1"

  assume_role {
    role_arn     = var.provider_role_arn
    session_name = "az-id-mismatch"
  }
}

provider "aws" {
  alias  = "consumer"
  region = "us-east-1"

  assume_role {
    role_arn     = var.consumer_role_arn
    session_name = "az-id-mismatch"
  }
}

# Each account's AZ name -> AZ ID map: PrivateLink pairs an endpoint ENI with the NLB node in the
# same AZ ID.
data "aws_availability_zones" "provider" {
  provider = aws.provider
  state    = "available"
}

data "aws_availability_zones" "consumer" {
  provider = aws.consumer
  state    = "available"
}
