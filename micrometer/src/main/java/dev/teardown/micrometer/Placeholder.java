package dev.teardown.micrometer;
/** placeholder */ final class Placeholder {}
