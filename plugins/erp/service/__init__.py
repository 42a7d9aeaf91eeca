"""The ERP plugin's services, one module per concern; every write of the plugin's records is here.

``connections`` (the settings, the pull cursors, which ERP partner is which customer) ·
``sync`` (the run log: start, queue, execute, schedule) · ``pull`` (ERP records into kehu, by the
conflict rule) · ``push`` (kehu's changes to the ERP, through the outbox) · ``webhook`` (change
notices) · ``facts`` (customer filters) · ``documents`` (what a customer bought).

The task names are named here, once: ``tasks.py`` registers them and the services send them, so
tasks import services and never the other way round.
"""
RUN_SYNC = "kehu.erp.run_sync"
SCHEDULED_SYNC = "kehu.erp.scheduled_sync"
PUSH_CUSTOMER = "kehu.erp.push_customer"
