"""Worker processes of one node: more interpreters for one machine's device load.

One Python process runs its event loop on about one core (the interpreter lock), so a node
with ``workers`` = N > 1 runs N processes. Each worker is a whole node: its own durable
queue (``queue`` in the data dir for worker 0, ``queue-<k>`` for worker k) and rule engine,
the same database. They share the node's MQTT and HTTP ports (:mod:`.listeners`: one socket
per worker on the same port, the kernel spreads connections over them) and are cluster nodes
of one another over a bus (:mod:`.pool`), so a device's data reaches every worker's WebSocket
subscriptions, RPC reaches a device on any worker, and a change saved on one worker reaches
the caches of all.

``industryos run`` starts worker 0 in its own process, which spawns, watches and stops the
others (:mod:`.primary`); a worker runs ``python -m industryos.workers`` (:mod:`.child`).
"""
