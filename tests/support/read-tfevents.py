"""Reads a TensorBoard event file with TensorBoard's own EventAccumulator and prints what it saw as JSON.

Usage: read-tfevents.py PATH   (an events.out.tfevents.* file or a folder holding one)
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

# size_guidance 0 keeps every scalar (the default samples down to 10,000 per tag).
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
acc.Reload()
tags = acc.Tags()
print(
    json.dumps(
        {
            "fileVersion": acc.file_version,
            "tags": sorted(tags["scalars"]),
            "scalars": {
                tag: [[e.step, e.value, e.wall_time] for e in acc.Scalars(tag)]
                for tag in tags["scalars"]
            },
        }
    )
)
