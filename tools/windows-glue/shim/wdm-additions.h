/* DDIs that mingw-w64 10's wdm.h does not declare, from their documented prototypes
 * (learn.microsoft.com: ExAllocatePool2, KeQueryInterruptTimePrecise). Appended to wdm.h by
 * tools/windows-glue/check; only for generating bindings on a non-Windows host. */
#ifndef SERIAL16550_WDM_ADDITIONS_H
#define SERIAL16550_WDM_ADDITIONS_H

typedef ULONG64 POOL_FLAGS;

NTKERNELAPI PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);

NTKERNELAPI ULONG64 NTAPI KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp);

#endif
