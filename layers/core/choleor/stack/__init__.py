"""The local stack: DynamoDB Local and s3rver as real servers on loopback.

`servers` starts and stops them, `provision` creates the tables and buckets
declared in template.yaml, `session` lets a command use a running `serve`'s
stack or start one for its own duration.
"""
