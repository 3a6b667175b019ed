"""Signing in with the national identities: the ENT as ÉduConnect's SAML service provider (and,
to come, FranceConnect's OpenID Connect relying party). Apart from the protocols the ENT
serves to the college apps: here the ENT is the one that asks."""
