"""Cloud provider logs: AWS CloudTrail and Amazon S3 server access logs."""
