"""The guide-conformance suite: every step of the parents' and teachers' guides,
replayed in a real browser against a running instance (`ent-idp conformance`).

`conformance.guides` holds the steps, by id, in the guide's words.
"""
