"""Delivery channels of the alerts: e-mail (SMTP), a signed webhook and Telegram.

Each ``send_*`` function delivers one ``Notice`` once and either returns or raises
``DeliveryFailed`` saying whether a retry may help; the job that calls it owns the retries
(``backoff_seconds``/``retry_delay``) and the idempotency key that keeps two workers from
sending the same message twice. Every channel refuses a message that carries a NIK-like digit
run (``assert_no_personal_data``): alert texts hold no personal data, this is the last wall.

- ``message``: the ``Notice`` and its composition (text + HTML, the regency's local time);
- ``validation``: addresses, webhook URLs (public addresses only), Telegram tokens and chats;
- ``failures``: ``DeliveryFailed`` and the backoff;
- ``email``, ``webhook``, ``telegram``: the channels.
"""
