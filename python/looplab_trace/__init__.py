"""looplab_trace: record a Python asyncio program into Looplab's trace format.

`python3 -m looplab_trace PROGRAM.py` (see __main__.py), or `looplab run
PROGRAM.py`.  The modules: kinds (the names shared with src/trace/events.h),
writer (the text format), recorder (the loop, the task, the streams), run
(what is installed around the program).
"""
