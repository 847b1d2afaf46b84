# The infra_verify gate as a container image: a Cloud Build step can be
#   - name: IMAGE
#     args: [staging, --wait, 20m, --junit, reports/gate.xml]
# because the entrypoint is `python -m infra_verify`. Credentials come from the environment it
# runs in (Cloud Build's service account through ADC); no key file is ever baked in.
#
#   docker build -t infra-verify .
#   docker run --rm infra-verify --version
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY infra_verify ./infra_verify
RUN pip install . && rm -rf /src

# Never run the gate as root.
RUN useradd --create-home --uid 10001 verify
USER verify

# Policies are read from ./policies relative to the working directory: Cloud Build mounts the
# checked-out source at /workspace; with docker run, mount it there (-v "$PWD:/workspace").
WORKDIR /workspace
ENTRYPOINT ["python", "-m", "infra_verify"]
CMD ["--help"]
