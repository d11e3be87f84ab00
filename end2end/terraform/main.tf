# Identity as an administrator automates it with Terraform's AWS provider, pointed at
# Portcullis unchanged: end2end/terraform/test.sh applies it, checks that a second plan
# finds nothing to change (every attribute reads back as written), and destroys it.
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "endpoint" { type = string }
variable "access_key" { type = string }
variable "secret_key" {
  type      = string
  sensitive = true
}
variable "saml_metadata" { type = string }
variable "certificate" { type = string }
variable "certificate_key" {
  type      = string
  sensitive = true
}

provider "aws" {
  region                  = "us-east-1"
  access_key              = var.access_key
  secret_key              = var.secret_key
  skip_metadata_api_check = true
  skip_region_validation  = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

resource "aws_iam_group" "developers" {
  name = "tf-developers"
  path = "/tf/"
}

resource "aws_iam_user" "alice" {
  name = "tf-alice"
  path = "/tf/"
  tags = { team = "platform" }
}

resource "aws_iam_user_group_membership" "alice" {
  user   = aws_iam_user.alice.name
  groups = [aws_iam_group.developers.name]
}

resource "aws_iam_policy" "read" {
  name        = "tf-read"
  path        = "/tf/"
  description = "Read the team's bucket"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::team-bucket", "arn:aws:s3:::team-bucket/*"]
    }]
  })
  tags = { owner = "platform" }
}

resource "aws_iam_group_policy_attachment" "read" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_user_policy" "own" {
  name = "own-keys"
  user = aws_iam_user.alice.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "iam:ListAccessKeys"
      Resource = aws_iam_user.alice.arn
    }]
  })
}

resource "aws_iam_role" "deployer" {
  name                 = "tf-deployer"
  description          = "Deploys from CI"
  max_session_duration = 7200
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = aws_iam_user.alice.arn }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = { team = "platform" }
}

resource "aws_iam_role_policy" "inline" {
  name = "inline"
  role = aws_iam_role.deployer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "iam:ListUsers"
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = aws_iam_role.deployer.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_instance_profile" "deployer" {
  name = "tf-deployer"
  role = aws_iam_role.deployer.name
}

resource "aws_iam_access_key" "alice" {
  user = aws_iam_user.alice.name
}

resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

resource "aws_iam_saml_provider" "corp" {
  name                   = "tf-corp"
  saml_metadata_document = var.saml_metadata
}

resource "aws_iam_virtual_mfa_device" "alice" {
  virtual_mfa_device_name = "tf-alice-phone"
  path                    = "/tf/"
  tags                    = { kind = "phone" }
}

resource "aws_iam_user_login_profile" "alice" {
  user                    = aws_iam_user.alice.name
  password_reset_required = true
}

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length        = 14
  require_numbers                = true
  require_symbols                = true
  allow_users_to_change_password = true
  password_reuse_prevention      = 5
}

resource "aws_iam_server_certificate" "www" {
  name             = "tf-www"
  path             = "/tf/"
  certificate_body = var.certificate
  private_key      = var.certificate_key
}

resource "aws_iam_signing_certificate" "alice" {
  user_name        = aws_iam_user.alice.name
  certificate_body = var.certificate
}

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}

output "alice_key" {
  value = aws_iam_access_key.alice.id
}
