package netx

import "syscall"

// Winsock error numbers (winerror.h); package syscall names only a few.
const (
	wsaeAFNoSupport  syscall.Errno = 10047
	wsaeAddrNotAvail syscall.Errno = 10049
	wsaeNetUnreach   syscall.Errno = 10051
	wsaeTimedOut     syscall.Errno = 10060
	wsaeConnRefused  syscall.Errno = 10061
	wsaeHostUnreach  syscall.Errno = 10065
)

var errnoCodes = []errnoCode{
	{wsaeConnRefused, Refused},
	{wsaeNetUnreach, NetUnreachable},
	{wsaeHostUnreach, HostUnreachable},
	{wsaeTimedOut, Timeout},
	{wsaeAddrNotAvail, NoFamily},
	{wsaeAFNoSupport, NoFamily},
	{syscall.ECONNREFUSED, Refused},
	{syscall.ENETUNREACH, NetUnreachable},
	{syscall.EHOSTUNREACH, HostUnreachable},
	{syscall.ETIMEDOUT, Timeout},
	{syscall.EADDRNOTAVAIL, NoFamily},
	{syscall.EAFNOSUPPORT, NoFamily},
}
