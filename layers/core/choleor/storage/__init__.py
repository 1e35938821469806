"""Storage: S3 objects (`objects`) and DynamoDB records (`records`).

`aws` is the only module that imports boto3; endpoints come from the
environment (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB),
so the same code talks to AWS, the local servers, or LocalStack.
"""
