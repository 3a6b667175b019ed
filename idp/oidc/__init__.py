"""OpenID Connect on Authlib: discovery, keys, grants, endpoints. It never renders a
login page: it hands its request to the core's interactions (idp.interactions), which
give it back once a flow signed the person in."""
