"""The platform-neutral core: rules, commands, events, effects. Imports no platform or storage library."""
