"""Kombu's Redis transport, made to survive a Redis restart under a worker running steps.

When the connection is lost kombu closes the consumer's channel, restoring its unacknowledged messages over
that broken connection, and later acknowledges messages of steps that were running through the closed channel;
kombu 5.7 fails at both with an AttributeError that Celery calls unrecoverable: the worker exits, its steps
still running. Here a closed channel does neither. Lockgate needs neither: the database decides, a message
nobody claimed is republished by its server (``LOCKGATE_REPUBLISH_AFTER``), a message left unacknowledged is
handed out again after the visibility timeout and dropped on claim. Imported by kombu only (``celery`` extra).
"""

from __future__ import annotations

from kombu.transport import redis

__all__ = ["Channel", "QoS", "Transport"]


class QoS(redis.QoS):
    def ack(self, delivery_tag: str) -> None:
        if self.channel.closed:  # received before the connection was lost: nothing to tell the new one
            self._delivered.pop(delivery_tag, None)
            return
        super().ack(delivery_tag)  # type: ignore[no-untyped-call]

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if self.channel.closed:
            self._delivered.pop(delivery_tag, None)
            return
        super().reject(delivery_tag, requeue=requeue)  # type: ignore[no-untyped-call]


class Channel(redis.Channel):
    QoS = QoS
    do_restore = False  # on close: what it would restore is recovered by republishing and redelivery


class Transport(redis.Transport):
    Channel = Channel
