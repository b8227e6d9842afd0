"""The GraphQL API (strawberry), one module per resource; `schema.py` assembles them."""
