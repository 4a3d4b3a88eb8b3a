"""The Telegram shell: updates in (`handlers`, in each chat's order: `ordering`), replies out
(`delivery`, within Telegram's limits), reminders on a timer (`reminders`), all wired by the
composition root (`app`). It decides nothing: the service (`bot.tutor`) does."""
