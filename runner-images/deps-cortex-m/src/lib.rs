//! Empty: this package exists for its dependencies, compiled for `thumbv7m-none-eabi`.
#![no_std]
