"""OpenID Connect on Authlib: discovery, keys, grants, endpoints. It never renders a
login page: it hands the person to a flow and resumes (interaction.py)."""
