"""Offline engine: runs the Pulumi program under the SDK mock monitor and each policy pack as its own process.

It imports no component and no rule: it runs the program and the packs the way the Pulumi engine does.
"""
