"""The app under Mangum (buffered: every response is returned whole)."""

from mangum import Mangum

from app import app

handler = Mangum(app, lifespan="off")
