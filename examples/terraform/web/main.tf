terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "name" {
  type        = string
  description = "Prefix for every resource."
  default     = "web"
}

locals {
  tags = { Project = var.name }
}

# Access logs for the site.
resource "aws_s3_bucket" "logs" {
  bucket = "${var.name}-logs"
  tags   = local.tags
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

output "logs_bucket_arn" {
  description = "ARN of the access-log bucket."
  value       = aws_s3_bucket.logs.arn
}
