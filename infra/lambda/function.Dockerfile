# One function's image: a base image from infra/lambda/build.py, the core package and the
# function's own folder. `sam build` builds it with the repository as context (see .dockerignore)
# and the build arguments in template.yaml; the handler is the template's ImageConfig.Command.
ARG BASE=heavy
FROM localhost/choleor-${BASE}:latest
ARG FUNCTION
COPY layers/core/choleor/ /var/task/choleor/
COPY functions/${FUNCTION}/ /var/task/
