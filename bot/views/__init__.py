"""What a learner reads: the rules' decisions as HTML messages with buttons (`lesson`, `menus`,
`pace`), the shape and limits of a message (`message`), and what a button says (`callbacks`).
Pure: no Telegram import, so the terminal shows the very same messages."""
