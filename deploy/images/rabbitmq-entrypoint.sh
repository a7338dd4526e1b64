#!/bin/sh
# Entrypoint of localhost/refundworker-rabbitmq: the same contract as the official rabbitmq:*-management image for
# what the test fixtures (Testcontainers' RabbitMqBuilder) and docker-compose use. RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS make the first user (tagged administrator, RabbitMQ's default, which the management API's vhost
# calls need); the log goes to stdout, where Testcontainers waits for "Server startup complete". Runs as rabbitmq.
set -eu
conf=/var/lib/rabbitmq/rabbitmq.conf
{
  echo "loopback_users = none"
  echo "log.console = true"
  echo "log.console.level = info"
  echo "log.file = false"
  if [ -n "${RABBITMQ_DEFAULT_USER:-}" ]; then echo "default_user = $RABBITMQ_DEFAULT_USER"; fi
  if [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then echo "default_pass = $RABBITMQ_DEFAULT_PASS"; fi
} > "$conf"
export RABBITMQ_CONFIG_FILE="$conf" RABBITMQ_LOGS=- HOME=/var/lib/rabbitmq
exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
