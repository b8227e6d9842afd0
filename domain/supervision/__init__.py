"""Supervision 督查督办: the aggregates the supervision service owns.

Deadlines a case runs against (`deadline`), supervision orders 督办 (`order`), the
monthly case evaluation 一案一评 (`evaluation`, `scoring`, `sampling`), the key-field
closed loop 月反馈、季通报、限期销号 (`keyfield`) and supervision's own case record
(`casefile`). Every id is derived (`keys`), so the same upstream event always addresses
the same aggregate.
"""
