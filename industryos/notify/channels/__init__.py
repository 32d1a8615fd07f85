"""Delivery channels, one per module: email (SMTP), SMS (Twilio / templated HTTP), Slack,
webhook. Each sends one rendered message to one recipient or raises a
:class:`~industryos.notify.errors.DeliveryFailed`; retries are the caller's business."""
