"""The catalogue domain: publishers, products, offers, goal tags. No Flask, no vendor SDK.

- ``vocabulary`` — controlled vocabularies (Danish and English labels), periods, price bands
- ``money`` — integer øre, 25 % VAT rounded half up, the strict ``parse_ore``, ``format_dkk``
- ``model`` — publisher refs, products and listings, offers, the review workflow, revisions
- ``validation`` — ``validate_product`` / ``validate_offer`` (and the image checks of ``images``)
- ``reviews`` — teacher reviews, moderation, rating aggregates
- ``documents`` — the search document the search index stores
- ``errors`` — the domain errors, one HTTP status each
"""
