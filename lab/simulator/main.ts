// Placeholder: the lab's SNMP simulator entry point (owned by the simulator work).
