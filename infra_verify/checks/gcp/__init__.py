"""Check kinds that read Google Cloud's own view of a deployment through its REST APIs."""
