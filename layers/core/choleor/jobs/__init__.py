"""Jobs: heavy steps run outside the request that asked for them.

`store` keeps the job records (queued -> running -> done | failed, with a
lease), `registry` maps a job kind to the core function that does it,
`runner` runs one job by id exactly-once in effect, and `dispatch` is the
port that gets a job id to a runner: worker threads in `serve`, an
asynchronous Lambda invocation on AWS.
"""
