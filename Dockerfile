# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=loanportal.settings.production

# libgomp1: LightGBM's OpenMP runtime; curl: container health checks; pango and a font:
# WeasyPrint's PDF reports.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends libgomp1 curl libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Static files are baked into the image; the values below exist only for this step.
RUN DJANGO_SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home --uid 1000 portal \
    && mkdir -p /app/models /app/var \
    && chown -R portal /app/models /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "loanportal.wsgi", "-c", "loanportal/gunicorn.conf.py"]
