"""The tutor's rules, pure: plain data in, a decision as plain data out, `now` passed in.

No Telegram, no SQLite, no clock reads: every rule is a plain, fast test. `lesson` decides a
tap in a lesson, `review` the spaced reviews, `pace` and `reminders` the schedule; `model` and
`say` are the data they work on and return.
"""
