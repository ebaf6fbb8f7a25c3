"""booking-actions: the MakeAppointment and VerifyIdentity actions for flowc flows.

`from booking_actions import MakeAppointment` in a .flow file finds the .flow
files next to this one; the modules flowc generated from them are here too.
"""
