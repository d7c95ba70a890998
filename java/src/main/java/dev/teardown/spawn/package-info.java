/**
 * Child processes that inherit exactly the sockets named, at the descriptor numbers named, and nothing
 * else ({@link dev.teardown.spawn.ChildProcess}); and an audit of this process's descriptors that a child
 * would inherit ({@link dev.teardown.spawn.Inheritance}).
 */
package dev.teardown.spawn;
