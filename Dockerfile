# Townsquare: `docker build -t townsquare .` then
#   docker run --rm -v townsquare-data:/data -v $PWD/config.toml:/config/config.toml:ro townsquare migrate --config /config/config.toml
# Discord, or Slack in Socket Mode (outbound connections only, no port):
#   docker run -d -v townsquare-data:/data -v $PWD/config.toml:/config/config.toml:ro \
#     -e DISCORD_TOKEN -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN townsquare
# Slack in HTTP mode (Slack posts to /slack/events; put TLS in front of the published port):
#   docker run -d -v townsquare-data:/data -v $PWD/config.toml:/config/config.toml:ro \
#     -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -p 3000:3000 townsquare
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TOWNSQUARE_DATABASE_URL=sqlite+aiosqlite:////data/townsquare.db \
    TOWNSQUARE_SLACK_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 townsquare \
 && mkdir -p /data /config \
 && chown townsquare:townsquare /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY programming ./programming
COPY storage ./storage
COPY migrations ./migrations
RUN pip install --no-compile .

USER townsquare
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["townsquare"]
CMD ["run", "--config", "/config/config.toml"]
