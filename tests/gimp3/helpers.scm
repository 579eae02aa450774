; Script-Fu helpers for the plug-in tests in GIMP 3: the same names as tests/gimp/helpers.scm
; (GIMP 2.10), so the test bodies in tests/gimp/test-*.sh serve both GIMPs. What differs in
; Script-Fu 3: plug-in procedures take keyword arguments and a vector of drawables, file
; procedures take the image only (no drawable), the image list and the selected layer have
; other names, and filters are GEGL operations merged with gimp-drawable-merge-new-filter.

(define (vks-new-image width height type)
  (let* ((image (car (gimp-image-new width height type)))
         (layer (car (gimp-layer-new image "Background" width height
                                     (if (= type GRAY) GRAY-IMAGE RGB-IMAGE)
                                     100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 0)
    ; plasma renders 1024 x 768 unless told, and GIMP 3 grows the layer to what a filter renders
    (gimp-drawable-merge-new-filter layer "gegl:plasma" 0 LAYER-MODE-REPLACE 1.0
                                    "seed" 7 "turbulence" 2.5
                                    "x" 0 "y" 0 "width" width "height" height)
    image))

(define (vks-layer image)
  (vector-ref (car (gimp-image-get-selected-drawables image)) 0))

(define (vks-selected-layer image)
  (vector-ref (car (gimp-image-get-selected-layers image)) 0))

; PNG of one drawable: GIMP 3 exports whole images, so the drawable goes alone into a new image
; of the same kind. Keeps the colour of transparent pixels so alpha tests see everything.
(define (vks-save-drawable image drawable path)
  (let* ((copy (car (gimp-image-new-with-precision
                      (car (gimp-drawable-get-width drawable))
                      (car (gimp-drawable-get-height drawable))
                      (car (gimp-image-get-base-type image))
                      (car (gimp-image-get-precision image)))))
         (layer (car (gimp-layer-new-from-drawable drawable copy))))
    (gimp-image-insert-layer copy layer 0 0)
    (gimp-layer-set-offsets layer 0 0)
    (file-png-export #:run-mode RUN-NONINTERACTIVE #:image copy #:file path
                     #:interlaced FALSE #:compression 9 #:bkgd FALSE #:offs FALSE #:phys FALSE
                     #:time FALSE #:save-transparent TRUE #:format "auto"
                     #:include-exif FALSE #:include-iptc FALSE #:include-xmp FALSE
                     #:include-color-profile FALSE #:include-thumbnail FALSE
                     #:include-comment FALSE)
    (gimp-image-delete copy)))

(define (vks-save image path)
  (vks-save-drawable image (vks-layer image) path))

; GIMP 3 names an imported image "[Untitled]" (2.10 used the file's name); the GUI tests find
; an image's window by its name, so the image gets one from the file (an XCF name: GIMP 3 takes
; no other).
(define (vks-load path)
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE path))))
    (gimp-image-set-file image (string-append path ".xcf"))
    image))

; A failed check stops the batch command with an error, which run-gimp-test.sh reports.
(define (vks-assert condition message)
  (if (not condition) (error (string-append "assertion failed: " message))))

(define (vks-n-layers image)
  (vector-length (car (gimp-image-get-layers image))))

(define (vks-images)
  (vector->list (car (gimp-get-images))))

(define (vks-new-layer image name width height type)
  (car (gimp-layer-new image name width height type 100 LAYER-MODE-NORMAL)))

(define (vks-group-new image)
  (car (gimp-group-layer-new image "group")))

(define (vks-to-16bit image)
  (gimp-image-convert-precision image PRECISION-U16-NON-LINEAR))

(define (vks-16bit? image)
  (= (car (gimp-image-get-precision image)) PRECISION-U16-NON-LINEAR))

(define (vks-gray? image)
  (and (= (car (gimp-image-get-base-type image)) GRAY)
       (= (car (gimp-drawable-is-gray (vks-layer image))) TRUE)))

; A slight blur: fills in the values between the 8-bit steps of a 16-bit image.
(define (vks-blur image drawable)
  (gimp-drawable-merge-new-filter drawable "gegl:gaussian-blur" 0 LAYER-MODE-REPLACE 1.0
                                  "std-dev-x" 1.0 "std-dev-y" 1.0))

(define (vks-apply-to image drawable model strength scale new-layer)
  (plug-in-vkstyle #:run-mode RUN-NONINTERACTIVE #:image image #:drawables (vector drawable)
                   #:model model #:strength strength #:scale scale
                   #:new-layer (if (= new-layer 1) TRUE FALSE) #:device ""))

; Stylize the whole drawable (no dialog).
(define (vks-apply image model strength scale new-layer)
  (vks-apply-to image (vks-layer image) model strength scale new-layer))

; Neural Texture into a drawable (no dialog); tileable 0 or 1, codes as the PDB takes them.
(define (vks-texture-to image drawable model seed tileable codes)
  (plug-in-vkstyle-texture #:run-mode RUN-NONINTERACTIVE #:image image
                           #:drawables (vector drawable) #:model model #:seed seed
                           #:tileable (if (= tileable 1) TRUE FALSE) #:codes codes #:device ""))

(define (vks-texture image model seed tileable codes)
  (vks-texture-to image (vks-layer image) model seed tileable codes))

; The image's top-level layers, top first, as a list.
(define (vks-layers image)
  (vector->list (car (gimp-image-get-layers image))))

; Style from Reference on a drawable (no dialog): reference a drawable or -1 (random styles of
; the seed: no reference argument, GIMP's "none"), variations 1.., processing scale 1.0.
(define (vks-reference-to image drawable model domain reference seed strength new-layer
                          variations)
  (if (< reference 0)
      (plug-in-vkstyle-reference #:run-mode RUN-NONINTERACTIVE #:image image
                                 #:drawables (vector drawable) #:model model #:domain domain
                                 #:seed seed #:strength strength
                                 #:new-layer (if (= new-layer 1) TRUE FALSE)
                                 #:variations variations #:scale 1.0 #:device "")
      (plug-in-vkstyle-reference #:run-mode RUN-NONINTERACTIVE #:image image
                                 #:drawables (vector drawable) #:model model #:domain domain
                                 #:reference reference #:seed seed #:strength strength
                                 #:new-layer (if (= new-layer 1) TRUE FALSE)
                                 #:variations variations #:scale 1.0 #:device "")))

(define (vks-reference image model domain reference seed new-layer variations)
  (vks-reference-to image (vks-layer image) model domain reference seed 100 new-layer
                    variations))

; The Script-Fu server the GUI tests talk to (tests/gimp/script-fu-client.py).
(define (vks-start-server port)
  (plug-in-script-fu-server #:run-mode RUN-NONINTERACTIVE #:ip "127.0.0.1" #:port port
                            #:logfile ""))

; An image's name up to its first dot: the name of the file it came from, whatever GIMP adds.
(define (vks-image-key image)
  (let* ((name (car (gimp-image-get-name image)))
         (dot (let loop ((i 0))
                (cond ((= i (string-length name)) i)
                      ((char=? (string-ref name i) #\.) i)
                      (else (loop (+ i 1)))))))
    (substring name 0 dot)))

; The open image whose file name (up to its first dot) is `key`.
(define (vks-image-named key)
  (let loop ((images (vks-images)))
    (cond ((null? images) (error (string-append "no image named " key)))
          ((string=? (vks-image-key (car images)) key) (car images))
          (else (loop (cdr images))))))

; Diffusion Sprites (no dialog): returns the new image. sampler "ddim" or "ddpm".
(define (vks-sprites model context seed sampler steps count upscale guidance)
  (car (plug-in-vkstyle-sprites #:run-mode RUN-NONINTERACTIVE #:model model #:context context
                                #:seed seed #:sampler sampler #:steps steps #:count count
                                #:upscale upscale #:guidance guidance #:device "")))

; Diffusion Variation of the image's drawable (no dialog); new-layer 0 or 1.
(define (vks-variation image model strength steps seed context new-layer)
  (plug-in-vkstyle-variation #:run-mode RUN-NONINTERACTIVE #:image image
                             #:drawables (vector (vks-layer image)) #:model model
                             #:strength strength #:steps steps #:seed seed #:context context
                             #:new-layer (if (= new-layer 1) TRUE FALSE) #:device ""))

; A layer's offsets in the image, as a list (x y).
(define (vks-offsets layer)
  (gimp-drawable-get-offsets layer))
