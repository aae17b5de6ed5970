"""The versions of the timeline a planned simulation can be made with.

A simulation stores the version it was planned with (`Simulation.timeline_version`), and a replay
copies it, so a change to how records are drawn never changes what an existing simulation replays.
Each change that would is a new version here, and the code that changed asks for it by name.

1. Stage moves after wall-clock delays; a company's contacts keep their persona's country; a
   company's head count is its persona's.
2. Under a clock curve (business_hours, weekend_surge) the delays between moves pass in the curve's
   own time; most of a company's contacts live in its country; a company employs at least the
   contacts its run gives it.
3. Activities (emails, calls, meetings, notes, tasks) tell each contact's story, as many as its
   `activity_level` says; nothing of versions 1 and 2 is drawn differently.
"""

FIRST = 1
COMPANY_PLACES_PEOPLE = 2
MOVES_KEEP_THE_CURVE_CLOCK = 2
ACTIVITIES = 3
CURRENT = 3
