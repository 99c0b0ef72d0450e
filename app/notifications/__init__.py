"""The notification centre: in-app messages, and their delivery by e-mail and DingTalk / WeCom group robots.

    outcomes = send(uow, messages, day)      # inside the caller's unit of work: notifications + pending deliveries
    report = deliver(day)                     # after the commit, in its own units: pushes, retries, records attempts

Group robots get a digest (one post per channel per run, split when long) rather than one post per reminder: a
busy day would otherwise flood the group and hit DingTalk's limit of 20 messages a minute.
"""
