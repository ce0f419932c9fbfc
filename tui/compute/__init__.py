"""The compute layer: each demo's work as a pure function from a frozen request to a frozen view.

Modules here import torch and the engine inside their compute functions only, so
the app can import them at start-up; views hold plain floats, strings and lists,
so the UI thread never touches a tensor. `runner` runs them for the screens.
"""
