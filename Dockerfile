# httpcode Slack app. Build: docker build -t httpcode .   Run (Socket Mode):
#   docker run --rm -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN -p 3000:3000 httpcode
# HTTP mode: pass SLACK_SIGNING_SECRET instead of SLACK_APP_TOKEN and route /slack/events here.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY knowledge ./knowledge

# Versions come from the lock (constraints.txt), the same file `make` and CI install from.
RUN python -m pip install --constraint constraints.txt . \
 && useradd --system --uid 10001 --create-home --home-dir /home/httpcode httpcode

USER httpcode
ENV HOME=/home/httpcode \
    HTTPCODE_HOST=0.0.0.0 \
    HTTPCODE_PORT=3000

# Validate the knowledge base at build time and warm its compiled cache for the runtime user.
RUN httpcode kb check && httpcode ask 200 > /dev/null

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2); sys.exit(r.status != 200)"]
CMD ["httpcode", "serve"]
